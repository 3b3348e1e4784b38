// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";

import {ISettlementToken} from "../../../contracts/interfaces/ISettlementToken.sol";
import {Roles} from "../../../contracts/libraries/Roles.sol";
import {SettlementToken} from "../../../contracts/token/SettlementToken.sol";
import {Signing} from "../utils/EscrowDeployment.sol";

/// @notice EIP-3009 authorizations with arbitrary nonces, values and validity windows.
contract SettlementToken3009FuzzTest is Test {
    uint256 private constant FUNDS = 1_000_000 * 1e6;
    uint256 private constant NOW = 1_750_000_000;

    SettlementToken private token;
    address private admin = makeAddr("admin");
    address private issuer = makeAddr("issuer");
    address private relayer = makeAddr("relayer");
    address private payee = makeAddr("payee");

    function setUp() public {
        vm.warp(NOW);
        token = new SettlementToken("Settlement USD", "SUSD", admin, 3 days);
        vm.prank(admin);
        token.grantRole(Roles.ISSUER, issuer);
    }

    function _payer(uint256 keySeed) private returns (uint256 key, address payer) {
        key = bound(keySeed, 1, 2 ** 200);
        payer = vm.addr(key);
        vm.assume(payer != payee && payer != relayer);
        vm.prank(issuer);
        token.mint(payer, FUNDS, bytes32("wire"));
    }

    function testFuzz_TransferWithAuthorizationMovesTheValueOnceForAnyNonce(
        uint256 keySeed,
        bytes32 nonce,
        uint256 value
    ) public {
        (uint256 key, address payer) = _payer(keySeed);
        value = bound(value, 0, FUNDS);
        bytes memory sig = Signing.sign3009(
            key, token, Signing.TRANSFER_WITH_AUTHORIZATION_TYPEHASH, payer, payee, value, 0, NOW + 1, nonce
        );
        assertFalse(token.authorizationState(payer, nonce));

        vm.prank(relayer);
        token.transferWithAuthorization(payer, payee, value, 0, NOW + 1, nonce, sig);
        assertEq(token.balanceOf(payee), value);
        assertEq(token.balanceOf(payer), FUNDS - value);
        assertTrue(token.authorizationState(payer, nonce));

        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.TokenAuthorizationUsed.selector, payer, nonce));
        vm.prank(relayer);
        token.transferWithAuthorization(payer, payee, value, 0, NOW + 1, nonce, sig);
    }

    function testFuzz_ANonceUsedByOneAuthorizerStaysFreeForAnother(uint256 keySeedA, uint256 keySeedB, bytes32 nonce)
        public
    {
        (uint256 keyA, address payerA) = _payer(keySeedA);
        (, address payerB) = _payer(keySeedB);
        vm.assume(payerA != payerB);
        bytes memory sig = Signing.sign3009(
            keyA, token, Signing.TRANSFER_WITH_AUTHORIZATION_TYPEHASH, payerA, payee, 1, 0, NOW + 1, nonce
        );
        token.transferWithAuthorization(payerA, payee, 1, 0, NOW + 1, nonce, sig);
        assertTrue(token.authorizationState(payerA, nonce));
        assertFalse(token.authorizationState(payerB, nonce));
    }

    function testFuzz_ReceiveWithAuthorizationOnlyByThePayee(uint256 keySeed, bytes32 nonce, address caller) public {
        (uint256 key, address payer) = _payer(keySeed);
        bytes memory sig = Signing.sign3009(
            key, token, Signing.RECEIVE_WITH_AUTHORIZATION_TYPEHASH, payer, payee, 5, 0, NOW + 1, nonce
        );
        if (caller != payee) {
            vm.expectRevert(abi.encodeWithSelector(ISettlementToken.TokenCallerNotPayee.selector, caller, payee));
            vm.prank(caller);
            token.receiveWithAuthorization(payer, payee, 5, 0, NOW + 1, nonce, sig);
            assertFalse(token.authorizationState(payer, nonce));
        }
        vm.prank(payee);
        token.receiveWithAuthorization(payer, payee, 5, 0, NOW + 1, nonce, sig);
        assertEq(token.balanceOf(payee), 5);
    }

    function testFuzz_ASignatureForOtherTermsIsRejected(uint256 keySeed, bytes32 nonce, uint256 value, uint256 other)
        public
    {
        (uint256 key, address payer) = _payer(keySeed);
        value = bound(value, 0, FUNDS);
        other = bound(other, 0, FUNDS);
        vm.assume(other != value);
        bytes memory sig = Signing.sign3009(
            key, token, Signing.TRANSFER_WITH_AUTHORIZATION_TYPEHASH, payer, payee, value, 0, NOW + 1, nonce
        );
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.TokenInvalidSignature.selector, payer));
        token.transferWithAuthorization(payer, payee, other, 0, NOW + 1, nonce, sig);
    }

    function _signTransfer(uint256 key, address payer, uint256 value, uint256 validAfter, uint256 validBefore, bytes32 nonce)
        private
        view
        returns (bytes memory)
    {
        return Signing.sign3009(
            key, token, Signing.TRANSFER_WITH_AUTHORIZATION_TYPEHASH, payer, payee, value, validAfter, validBefore, nonce
        );
    }

    function testFuzz_ValidOnlyStrictlyInsideTheWindow(
        uint256 keySeed,
        bytes32 nonce,
        uint256 validAfter,
        uint256 validBefore,
        uint256 at
    ) public {
        (uint256 key, address payer) = _payer(keySeed);
        validAfter = bound(validAfter, 0, NOW + 30 days);
        validBefore = validAfter + bound(validBefore, 0, 30 days);
        at = bound(at, NOW, NOW + 61 days);
        bytes memory sig = _signTransfer(key, payer, 7, validAfter, validBefore, nonce);
        vm.warp(at);
        if (at <= validAfter) {
            vm.expectRevert(
                abi.encodeWithSelector(ISettlementToken.TokenAuthorizationNotYetValid.selector, validAfter, at)
            );
        } else if (at >= validBefore) {
            vm.expectRevert(abi.encodeWithSelector(ISettlementToken.TokenAuthorizationExpired.selector, validBefore, at));
        }
        token.transferWithAuthorization(payer, payee, 7, validAfter, validBefore, nonce, sig);
        assertEq(token.balanceOf(payee), at > validAfter && at < validBefore ? 7 : 0);
    }

    function testFuzz_CancelledNonceCannotBeUsed(uint256 keySeed, bytes32 nonce) public {
        (uint256 key, address payer) = _payer(keySeed);
        bytes32 cancelHash = keccak256(abi.encode(Signing.CANCEL_AUTHORIZATION_TYPEHASH, payer, nonce));
        bytes memory cancelSig = Signing.sign(key, Signing.typedDigest(token.DOMAIN_SEPARATOR(), cancelHash));
        token.cancelAuthorization(payer, nonce, cancelSig);
        assertTrue(token.authorizationState(payer, nonce));

        bytes memory sig = Signing.sign3009(
            key, token, Signing.TRANSFER_WITH_AUTHORIZATION_TYPEHASH, payer, payee, 1, 0, NOW + 1, nonce
        );
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.TokenAuthorizationUsed.selector, payer, nonce));
        token.transferWithAuthorization(payer, payee, 1, 0, NOW + 1, nonce, sig);
    }

    function testFuzz_HighSSignatureIsRejected(uint256 keySeed, bytes32 nonce) public {
        (uint256 key, address payer) = _payer(keySeed);
        bytes32 structHash = keccak256(
            abi.encode(Signing.TRANSFER_WITH_AUTHORIZATION_TYPEHASH, payer, payee, 1, 0, NOW + 1, nonce)
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, Signing.typedDigest(token.DOMAIN_SEPARATOR(), structHash));
        // The malleable twin (n - s, flipped v) recovers the same signer but must not be accepted.
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        bytes memory twin = abi.encodePacked(r, bytes32(n - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(abi.encodeWithSelector(ISettlementToken.TokenInvalidSignature.selector, payer));
        token.transferWithAuthorization(payer, payee, 1, 0, NOW + 1, nonce, twin);
        assertFalse(token.authorizationState(payer, nonce));
    }
}
